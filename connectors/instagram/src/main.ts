import { runServiceMain } from '@chat4all/common';
import { instagramService } from './server';

runServiceMain(instagramService());
