import { runServiceMain } from '@chat4all/common';
import { whatsappService } from './server';

runServiceMain(whatsappService());
